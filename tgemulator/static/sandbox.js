/* Anochat sandbox page: every column is a simulated Telegram user of the Bot API emulator.
 *
 * The page talks only to the emulator's JSON user API under /_emu (see the docstring of
 * tgemulator/user_api.py) and to GET /sandbox/samples for the bundled pictures.
 * Every column keeps its chat fresh with its own long-poll loop on
 * GET /_emu/users/{id}/messages?since=<rev>&timeout=<s>.
 * Bot text is rendered from text + entities with DOM nodes only (no innerHTML).
 */
"use strict";

(() => {
  // Telegram's free reactions that a person reaches for first.
  const REACTIONS = ["👍", "❤", "🔥", "😁", "😢", "🎉", "👎"];
  const NAMES = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Oscar"];
  const AVATAR_COLORS = [
    ["#ffb36b", "#ff7b54"], ["#7ee0a3", "#2fb47c"], ["#8fb8ff", "#5a7cf0"], ["#f39bd0", "#d35fa4"],
    ["#ffd86b", "#f0a53a"], ["#9be4f0", "#3aaec9"], ["#c5a3ff", "#8b5cf0"], ["#ff9a9a", "#e05656"],
  ];
  // A browser keeps at most 6 connections per host; long polls of many columns must leave room for sends.
  const LONG_POLL_SLOTS = 4;
  const LONG_POLL_SECONDS = 25;
  const SHORT_POLL_PAUSE_MS = 700;
  const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:", "tg:"]);
  const RECONNECT_PAUSE_MS = 1000;

  const columnsEl = document.getElementById("columns");
  const template = document.getElementById("column-template");
  const botBadge = document.getElementById("bot-badge");
  const goneBanner = document.getElementById("gone");

  const state = {
    bot: null,
    samples: [],
    samplesByFileId: new Map(),
    columns: [],
    longPolls: 0,
    gone: false,
  };

  // ------------------------------------------------------------------ helpers

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body, signal) {
    const init = { method, signal, headers: {} };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      if (error.name === "AbortError") throw error;
      sandboxGone();
      throw new ApiError("the sandbox is not answering", 0);
    }
    if (response.status >= 502 && response.status <= 504) sandboxGone();
    let data = null;
    try {
      data = await response.json();
    } catch (_error) {
      throw new ApiError(`HTTP ${response.status}`, response.status);
    }
    if (!data || data.ok !== true) {
      throw new ApiError((data && data.error) || `HTTP ${response.status}`, response.status);
    }
    return data.result;
  }

  /** The sandbox process stopped (or restarts): say so, and watch for it to come back. */
  function sandboxGone() {
    if (state.gone) return;
    state.gone = true;
    goneBanner.hidden = false;
    document.body.dataset.sandbox = "gone";
    watchForSandbox();
  }

  async function watchForSandbox() {
    while (state.gone) {
      await sleep(RECONNECT_PAUSE_MS);
      try {
        const response = await fetch("/_emu", { cache: "no-store" });
        if (response.ok) {
          state.gone = false;
          goneBanner.hidden = true;
          document.body.dataset.sandbox = "back";
        }
      } catch (_error) {
        // still gone
      }
    }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function clock(unixSeconds) {
    const date = unixSeconds ? new Date(unixSeconds * 1000) : new Date();
    return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
  }

  function safeUrl(raw) {
    if (typeof raw !== "string" || !raw) return null;
    let candidate = raw.trim();
    if (!/^[a-z][a-z0-9+.-]*:/i.test(candidate)) candidate = `http://${candidate}`;
    try {
      const url = new URL(candidate);
      return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
    } catch (_error) {
      return null;
    }
  }

  function colorsFor(id) {
    return AVATAR_COLORS[Math.abs(Number(id) || 0) % AVATAR_COLORS.length];
  }

  function preview(message) {
    if (!message) return "Message";
    const body = message.text || message.caption;
    if (body) return body.split("\n")[0];
    return { photo: "Photo", video: "Video", voice: "Voice message", sticker: "Sticker", document: "File" }[
      message.kind
    ] || message.kind;
  }

  /** Parse "/cmd@bot args" typed by a person into the user API's command form. */
  function asCommand(text) {
    const match = /^(\/[A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+([\s\S]*))?$/.exec(text);
    if (!match) return null;
    return { command: match[1], args: match[2] ? match[2].trim() : undefined };
  }

  // ------------------------------------------------------------------ rich text

  /** Build DOM for `text` with Bot API `entities` (offsets are UTF-16, like JS strings). */
  function renderRichText(text, entities, onCommand) {
    const root = el("div", "text");
    const list = (Array.isArray(entities) ? entities : [])
      .filter((e) => e && Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
      .map((e) => ({ ...e, end: Math.min(e.offset + e.length, text.length) }))
      .filter((e) => e.offset < e.end)
      .sort((a, b) => a.offset - b.offset || b.end - a.end);
    build(root, text, 0, text.length, list, onCommand);
    return root;
  }

  function build(parent, text, start, end, entities, onCommand) {
    let pos = start;
    let index = 0;
    while (index < entities.length) {
      const entity = entities[index];
      const from = Math.max(entity.offset, pos);
      const to = Math.min(entity.end, end);
      index += 1;
      if (from >= to) continue;
      if (from > pos) parent.append(text.slice(pos, from));
      const inner = [];
      while (index < entities.length && entities[index].offset < to) {
        const child = entities[index];
        inner.push({ ...child, offset: Math.max(child.offset, from), end: Math.min(child.end, to) });
        index += 1;
      }
      const node = entityNode(entity, text, onCommand);
      build(node, text, from, to, inner, onCommand);
      parent.append(node);
      pos = to;
    }
    if (pos < end) parent.append(text.slice(pos, end));
  }

  function entityNode(entity, text, onCommand) {
    const whole = text.slice(entity.offset, entity.end);
    switch (entity.type) {
      case "bold":
        return el("strong");
      case "italic":
        return el("em");
      case "underline":
        return el("u");
      case "strikethrough":
        return el("s");
      case "code":
        return el("code");
      case "pre": {
        const pre = el("pre");
        if (entity.language) pre.dataset.language = String(entity.language);
        return pre;
      }
      case "blockquote":
      case "expandable_blockquote":
        return el("blockquote");
      case "spoiler": {
        const span = el("span", "spoiler");
        span.title = "Spoiler: click to reveal";
        span.addEventListener("click", () => span.classList.toggle("revealed"));
        return span;
      }
      case "text_link":
      case "url":
      case "email": {
        const raw = entity.type === "text_link" ? entity.url : entity.type === "email" ? `mailto:${whole}` : whole;
        const href = safeUrl(raw);
        if (!href) return el("span", "link");
        const link = el("a");
        link.setAttribute("href", href);
        link.setAttribute("target", "_blank");
        link.setAttribute("rel", "noopener noreferrer");
        return link;
      }
      case "bot_command": {
        const span = el("span", "cmd");
        span.title = `Send ${whole}`;
        span.addEventListener("click", () => onCommand && onCommand(whole.split("@")[0]));
        return span;
      }
      case "mention":
      case "text_mention":
      case "hashtag":
      case "cashtag":
      case "phone_number":
        return el("span", "link");
      default:
        return el("span");
    }
  }

  // ------------------------------------------------------------------ a column

  class Column {
    constructor(user, suggestedName) {
      this.user = user;
      this.since = null;
      this.nodes = new Map();
      this.messages = new Map();
      this.pendingQueries = new Map();
      this.seenAnswers = new Set();
      this.abort = new AbortController();
      this.alive = true;
      this.blocked = false;
      this.replyKeyboardKey = null;
      this.hiddenReplyKeyboard = null;

      const fragment = template.content.cloneNode(true);
      this.root = fragment.querySelector(".column");
      this.q = (selector) => this.root.querySelector(selector);
      this.setupForm = this.q(".setup");
      this.chat = this.q(".chat");
      this.list = this.q(".messages");
      this.empty = this.q(".empty");
      this.toasts = this.q(".toasts");
      this.input = this.q(".input");
      this.composer = this.q(".composer");
      this.picker = this.q(".picker");
      this.replyKb = this.q(".reply-kb");
      this.kbToggle = this.q(".kb-toggle");
      this.chips = this.q(".chips");
      this.commandsKey = null;
      this.replyKeyboard = null;
      this.blockToggle = this.q(".block-toggle");

      this.q(".close-col").addEventListener("click", () => this.close());
      this.setupForm.addEventListener("submit", (event) => {
        event.preventDefault();
        this.create();
      });
      columnsEl.append(this.root);

      if (user) {
        this.activate(user);
      } else {
        this.q(".setup-name").value = suggestedName || nextName();
        this.q(".avatar").textContent = "+";
        this.q(".setup-name").focus();
      }
    }

    async create() {
      const name = this.q(".setup-name").value.trim();
      const language = this.q(".setup-lang").value;
      const button = this.q(".setup-create");
      const error = this.q(".setup-error");
      if (!name) {
        error.textContent = "Please enter a name.";
        return;
      }
      button.disabled = true;
      error.textContent = "";
      try {
        const user = await api("POST", "/_emu/users", { first_name: name, language_code: language });
        this.activate(user);
      } catch (err) {
        error.textContent = `Could not create the user: ${err.message}`;
      } finally {
        button.disabled = false;
      }
    }

    activate(user) {
      this.user = user;
      this.root.dataset.userId = String(user.id);
      this.setupForm.hidden = true;
      this.chat.hidden = false;
      this.blockToggle.hidden = false;
      this.blocked = Boolean(user.blocked);
      this.renderHeader();
      this.wireChat();
      this.pollLoop();
    }

    renderHeader() {
      const user = this.user;
      const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
      const avatar = this.q(".avatar");
      const [from, to] = colorsFor(user.id);
      avatar.textContent = (user.first_name || "?").trim().charAt(0).toUpperCase() || "?";
      avatar.style.background = `linear-gradient(135deg, ${from}, ${to})`;
      this.q(".name").textContent = name;
      const sub = this.q(".sub");
      sub.replaceChildren(`id ${user.id} · ${(user.language_code || "en").toUpperCase()}`);
      if (this.blocked) {
        sub.append(" · ", el("span", "blocked-tag", "blocked the bot"));
      }
      this.blockToggle.textContent = this.blocked ? "Unblock bot" : "Block bot";
      this.blockToggle.classList.toggle("btn-danger-soft", !this.blocked);
      this.blockToggle.title = this.blocked ? "Unblock the bot" : "Block the bot, like a Telegram user can";
      this.q(".blocked-bar").hidden = !this.blocked;
      this.composer.hidden = this.blocked;
      this.q(".chips").hidden = this.blocked || !this.q(".chips").children.length;
    }

    wireChat() {
      this.q(".start-btn").addEventListener("click", () => this.sendCommand("/start"));
      this.composer.addEventListener("submit", (event) => {
        event.preventDefault();
        this.sendTyped();
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.sendTyped();
        }
      });
      this.input.addEventListener("input", () => this.autosize());
      this.q(".photo-btn").addEventListener("click", () => this.togglePicker());
      this.kbToggle.addEventListener("click", () => this.showReplyKeyboard(this.replyKb.hidden));
      this.list.addEventListener("click", (event) => this.onMessageClick(event));
      this.q(".picker-close").addEventListener("click", () => this.togglePicker(false));
      this.q(".picker-caption").addEventListener("keydown", (event) => {
        if (event.key === "Escape") this.togglePicker(false);
      });
      this.blockToggle.addEventListener("click", () => this.setBlocked(!this.blocked));
      this.q(".unblock-btn").addEventListener("click", () => this.setBlocked(false));
      this.renderPicker();
    }

    autosize() {
      this.input.style.height = "auto";
      this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 120)}px`;
    }

    close() {
      this.alive = false;
      this.abort.abort();
      this.root.remove();
      state.columns = state.columns.filter((column) => column !== this);
    }

    // -------------------------------------------------------------- actions

    async userApi(method, action, body) {
      return api(method, `/_emu/users/${this.user.id}/${action}`, body);
    }

    async send(body) {
      try {
        await this.userApi("POST", "send", body);
        this.stickToBottom = true;
        return true;
      } catch (err) {
        this.toast(err.message, "error");
        return false;
      }
    }

    sendCommand(command, args) {
      return this.send(args ? { command, args } : { command });
    }

    async sendTyped() {
      const text = this.input.value;
      if (!text.trim()) return;
      this.input.value = "";
      this.autosize();
      const command = asCommand(text.trim());
      const ok = await this.send(command || { text });
      if (!ok && !this.input.value) {
        this.input.value = text;
        this.autosize();
      }
      this.input.focus();
    }

    async sendSample(sample) {
      const captionInput = this.q(".picker-caption");
      const caption = captionInput.value.trim();
      this.togglePicker(false);
      const body = { kind: "photo" };
      if (sample) body.file_id = sample.file_id;
      if (caption) body.caption = caption;
      if (await this.send(body)) captionInput.value = "";
    }

    togglePicker(show) {
      const open = show === undefined ? this.picker.hidden : show;
      this.picker.hidden = !open;
      if (open) this.q(".picker-caption").focus();
    }

    renderPicker() {
      const grid = this.q(".picker-grid");
      grid.replaceChildren();
      const samples = state.samples.length ? state.samples : [null];
      for (const sample of samples) {
        const button = el("button", "sample");
        button.type = "button";
        if (sample) {
          const img = el("img");
          img.src = sample.url;
          img.alt = sample.name;
          button.title = `Send “${sample.name}”`;
          button.dataset.sample = sample.name;
          button.append(img);
        } else {
          button.append(el("div", "media-placeholder", "🖼"));
          button.title = "Send a photo";
        }
        button.addEventListener("click", () => this.sendSample(sample));
        grid.append(button);
      }
    }

    async press(message, button, buttonEl) {
      if (button.url) {
        const href = safeUrl(button.url);
        if (href) window.open(href, "_blank", "noopener,noreferrer");
        return;
      }
      if (button.copy_text && typeof button.copy_text.text === "string") {
        try {
          await navigator.clipboard.writeText(button.copy_text.text);
          this.toast("Copied to clipboard");
        } catch (_error) {
          this.toast(button.copy_text.text);
        }
        return;
      }
      if (typeof button.callback_data !== "string") {
        this.toast("This kind of button is not available in the sandbox", "error");
        return;
      }
      buttonEl.classList.add("busy");
      try {
        const result = await this.userApi("POST", "press", {
          message_id: message.message_id,
          data: button.callback_data,
        });
        const queryId = result.callback_query_id;
        this.pendingQueries.set(queryId, buttonEl);
        setTimeout(() => {
          if (this.pendingQueries.delete(queryId)) buttonEl.classList.remove("busy");
        }, 10000);
        await this.checkAnswers();
      } catch (err) {
        buttonEl.classList.remove("busy");
        this.toast(err.message, "error");
      }
    }

    async checkAnswers() {
      if (!this.pendingQueries.size) return;
      let answers;
      try {
        answers = await this.userApi("GET", "callback_answers");
      } catch (_error) {
        return;
      }
      for (const answer of answers) {
        if (this.seenAnswers.has(answer.query_id) || !this.pendingQueries.has(answer.query_id)) continue;
        this.seenAnswers.add(answer.query_id);
        const buttonEl = this.pendingQueries.get(answer.query_id);
        this.pendingQueries.delete(answer.query_id);
        if (buttonEl) buttonEl.classList.remove("busy");
        if (answer.text) this.toast(answer.text, answer.show_alert ? "alert" : "");
      }
    }

    async setBlocked(blocked) {
      try {
        const user = await this.userApi("POST", blocked ? "block" : "unblock");
        this.user = { ...this.user, ...user };
        this.blocked = Boolean(user.blocked);
        this.renderHeader();
        this.toast(this.blocked ? "You blocked the bot" : "You unblocked the bot");
      } catch (err) {
        this.toast(err.message, "error");
      }
    }

    toast(text, kind) {
      const node = el("div", `toast${kind ? ` ${kind}` : ""}`);
      node.setAttribute("role", kind === "error" ? "alert" : "status");
      node.append(el("div", "toast-text", text));
      const dismiss = () => {
        node.classList.add("leaving");
        setTimeout(() => node.remove(), 300);
      };
      if (kind === "alert") {
        const ok = el("button", "btn btn-small btn-primary", "OK");
        ok.type = "button";
        ok.addEventListener("click", dismiss);
        node.append(ok);
      } else {
        node.addEventListener("click", dismiss);
      }
      this.toasts.append(node);
      while (this.toasts.children.length > 3) this.toasts.firstElementChild.remove();
      setTimeout(dismiss, kind === "alert" ? 8000 : 3500);
    }

    // -------------------------------------------------------------- polling

    async pollLoop() {
      const conn = this.q(".conn");
      while (this.alive) {
        // the first request answers at once with the whole chat; later ones wait for changes
        const long = this.since !== null && state.longPolls < LONG_POLL_SLOTS;
        const timeout = long ? LONG_POLL_SECONDS : 0;
        const throttled = !long && this.since !== null;
        const query = this.since === null ? `timeout=${timeout}` : `since=${this.since}&timeout=${timeout}`;
        if (long) state.longPolls += 1;
        try {
          const result = await api(
            "GET",
            `/_emu/users/${this.user.id}/messages?${query}`,
            undefined,
            this.abort.signal,
          );
          conn.className = "conn ok";
          conn.title = "Connected";
          this.apply(result);
          await this.checkAnswers();
        } catch (err) {
          if (!this.alive) return;
          conn.className = "conn bad";
          conn.title = `Disconnected: ${err.message}`;
          if (err.status === 404) {
            await this.rejoin();
            continue;
          }
          await sleep(1500);
        } finally {
          if (long) state.longPolls -= 1;
        }
        if (throttled) await sleep(SHORT_POLL_PAUSE_MS);
      }
    }

    /** After a restart the sandbox is fresh: the same person starts a new chat with the bot. */
    async rejoin() {
      try {
        const user = await api("POST", "/_emu/users", {
          id: this.user.id,
          first_name: this.user.first_name,
          language_code: this.user.language_code || "en",
        });
        this.user = user;
        this.since = null;
        for (const node of this.nodes.values()) node.remove();
        this.nodes.clear();
        this.messages.clear();
        this.empty.hidden = false;
        this.blocked = false;
        this.renderHeader();
        this.toast("The sandbox restarted: this is a new chat with the bot");
      } catch (_error) {
        await sleep(1500);
      }
    }

    apply(result) {
      const first = this.since === null;
      this.since = result.rev;
      if (Boolean(result.blocked) !== this.blocked) {
        this.blocked = Boolean(result.blocked);
        this.renderHeader();
      }
      this.renderReplyKeyboard(result.reply_keyboard);
      this.renderCommands(result.commands);
      const messages = result.messages || [];
      if (!messages.length) return;
      const nearBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 120;
      let ownMessage = false;
      for (const message of messages) {
        this.upsert(message);
        if (!message.from_bot) ownMessage = true;
      }
      this.empty.hidden = this.nodes.size > 0;
      this.regroup();
      if (first || nearBottom || ownMessage || this.stickToBottom) this.scrollToBottom();
      this.stickToBottom = false;
    }

    scrollToBottom() {
      this.list.scrollTop = this.list.scrollHeight;
    }

    upsert(message) {
      const id = message.message_id;
      this.messages.set(id, message);
      const existing = this.nodes.get(id);
      if (message.deleted) {
        if (existing) existing.remove();
        this.nodes.delete(id);
        return;
      }
      const node = this.renderMessage(message);
      if (existing) {
        existing.replaceWith(node);
      } else {
        let before = null;
        for (const [otherId, other] of this.nodes) {
          if (otherId > id && (!before || otherId < Number(before.dataset.messageId))) before = other;
        }
        this.list.insertBefore(node, before);
      }
      this.nodes.set(id, node);
    }

    regroup() {
      const items = Array.from(this.list.querySelectorAll(":scope > .msg"));
      items.forEach((node, index) => {
        const prev = items[index - 1];
        const next = items[index + 1];
        node.classList.toggle("group-start", !prev || prev.dataset.from !== node.dataset.from);
        node.classList.toggle(
          "group-end",
          !next || next.dataset.from !== node.dataset.from || node.querySelector(".kb") !== null,
        );
      });
    }

    renderMessage(message) {
      const fromBot = Boolean(message.from_bot);
      const wrap = el("div", `msg ${fromBot ? "in" : "out"}`);
      wrap.dataset.messageId = String(message.message_id);
      wrap.dataset.from = fromBot ? "bot" : "user";
      wrap.dataset.kind = message.kind;

      const bubble = el("div", "bubble");
      wrap.append(bubble);

      if (message.reply_to_message_id) {
        const target = this.messages.get(message.reply_to_message_id);
        bubble.append(el("div", "reply-quote", preview(target)));
      }

      const content = message.content || {};
      const media = this.renderMedia(message, content);
      if (media) {
        if (content.has_media_spoiler) {
          // Telegram blurs such media until it is tapped
          media.classList.add("media-spoiler");
          media.title = "Tap to reveal";
          media.addEventListener("click", () => media.classList.remove("media-spoiler"), { once: true });
        }
        bubble.append(media);
        if (message.kind === "photo" || message.kind === "video" || message.kind === "animation") {
          bubble.classList.add("has-media");
        }
      }

      const body = typeof message.text === "string" ? message.text : message.caption;
      const meta = el("span", "meta");
      if (message.edited) meta.append(el("span", "edited", "edited"));
      meta.append(clock(message.date));
      if (!fromBot) meta.append(el("span", "ticks", "✓✓"));

      if (body) {
        const text = renderRichText(body, message.entities, (command) => this.sendCommand(command));
        text.append(meta);
        if (media && content.show_caption_above_media) bubble.insertBefore(text, media);
        else bubble.append(text);
      } else if (message.kind === "sticker") {
        bubble.classList.add("sticker-bubble", "media-only");
        bubble.append(meta);
      } else if (bubble.classList.contains("has-media")) {
        bubble.classList.add("media-only");
        bubble.append(meta);
      } else {
        const text = el("div", "text");
        text.append(meta);
        bubble.append(text);
      }

      const reactions = el("div", "reactions");
      for (const reaction of message.reactions || []) {
        if (reaction && reaction.emoji) reactions.append(el("span", "reaction", reaction.emoji));
      }
      for (const reaction of message.user_reactions || []) {
        if (!reaction || !reaction.emoji) continue;
        // one's own reaction, as Telegram highlights it; tapping it takes it back
        const mine = el("button", "reaction mine", reaction.emoji);
        mine.type = "button";
        mine.title = "Your reaction: tap to remove it";
        mine.addEventListener("click", () => this.react(message, null));
        reactions.append(mine);
      }
      if (reactions.children.length) wrap.append(reactions);

      const rows = message.reply_markup && message.reply_markup.inline_keyboard;
      if (Array.isArray(rows) && rows.length) {
        const kb = el("div", "kb");
        for (const row of rows) {
          const rowEl = el("div", "kb-row");
          for (const button of row || []) {
            const buttonEl = el("button", "kb-btn", button.text);
            buttonEl.type = "button";
            if (button.url) buttonEl.classList.add("url");
            buttonEl.addEventListener("click", () => this.press(message, button, buttonEl));
            rowEl.append(buttonEl);
          }
          kb.append(rowEl);
        }
        wrap.append(kb);
      }
      return wrap;
    }

    renderMedia(message, content) {
      switch (message.kind) {
        case "photo": {
          const sample = state.samplesByFileId.get(message.file_id);
          if (sample) {
            const img = el("img", "photo");
            img.src = sample.url;
            img.alt = message.caption || sample.name;
            img.dataset.fileId = message.file_id;
            img.addEventListener("load", () => {
              if (this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 400) this.scrollToBottom();
            });
            return img;
          }
          const placeholder = el("div", "media-placeholder photo-placeholder", "🖼");
          placeholder.title = `Photo ${message.file_id || ""}`;
          return placeholder;
        }
        case "video":
        case "animation":
          return el("div", "media-placeholder", message.kind === "video" ? "▶" : "GIF");
        case "sticker": {
          const sticker = content.sticker || {};
          return el("div", "sticker", sticker.emoji || "🙂");
        }
        case "voice":
          return mediaLine("🎤", "Voice message", duration(content.voice));
        case "video_note":
          return mediaLine("⏺", "Video message", duration(content.video_note));
        case "audio": {
          const audio = content.audio || {};
          return mediaLine("🎵", audio.title || "Audio", audio.performer || duration(audio));
        }
        case "document": {
          const doc = content.document || {};
          return mediaLine("📄", doc.file_name || "File", size(doc.file_size));
        }
        case "dice": {
          const dice = content.dice || {};
          return mediaLine(dice.emoji || "🎲", `Dice: ${dice.value ?? "?"}`, "");
        }
        case "location": {
          const loc = content.location || {};
          return mediaLine("📍", "Location", `${loc.latitude ?? ""}, ${loc.longitude ?? ""}`);
        }
        case "contact": {
          const contact = content.contact || {};
          return mediaLine("👤", [contact.first_name, contact.last_name].filter(Boolean).join(" ") || "Contact",
            contact.phone_number || "");
        }
        case "poll": {
          const poll = content.poll || {};
          const options = (poll.options || []).map((option) => option.text).join(" · ");
          return mediaLine("📊", poll.question || "Poll", options);
        }
        case "text":
          return null;
        default:
          return message.text || message.caption ? null : mediaLine("✉", message.kind, "");
      }
    }

    /** A reply keyboard sits under the input, as in Telegram; tapping a button sends its text. */
    renderReplyKeyboard(markup) {
      const key = markup ? JSON.stringify(markup) : null;
      if (key === this.replyKeyboardKey) return;
      this.replyKeyboardKey = key;
      this.replyKb.replaceChildren();
      const rows = markup && Array.isArray(markup.keyboard) ? markup.keyboard : [];
      this.replyKeyboard = rows.length ? markup : null;
      this.replyKb.classList.toggle("resized", Boolean(markup && markup.resize_keyboard));
      this.input.placeholder = (markup && markup.input_field_placeholder) || "Message";
      // a persistent keyboard can't be put away; any other one can, with the ⌨ button
      this.kbToggle.hidden = !rows.length || Boolean(markup.is_persistent);
      for (const row of rows) {
        const rowEl = el("div", "kb-row");
        for (const raw of row || []) {
          const button = typeof raw === "string" ? { text: raw } : raw || {};
          const buttonEl = el("button", "kb-btn", button.text);
          buttonEl.type = "button";
          buttonEl.addEventListener("click", async () => {
            let body = { text: String(button.text || "") };
            if (button.request_contact) body = { kind: "contact" };
            else if (button.request_location) body = { kind: "location" };
            const ok = await this.send(body);
            if (ok && markup.one_time_keyboard && !markup.is_persistent) this.showReplyKeyboard(false);
          });
          rowEl.append(buttonEl);
        }
        this.replyKb.append(rowEl);
      }
      this.showReplyKeyboard(rows.length > 0);
    }

    showReplyKeyboard(show) {
      const open = Boolean(show && this.replyKeyboard);
      this.replyKb.hidden = !open;
      this.kbToggle.classList.toggle("open", open);
      this.kbToggle.setAttribute("aria-label", open ? "Hide the bot's keyboard" : "Show the bot's keyboard");
      this.kbToggle.title = this.kbToggle.getAttribute("aria-label");
    }

    /** The bot's command menu for this user's language (from the bot's own setMyCommands). */
    renderCommands(commands) {
      const list = Array.isArray(commands) ? commands : [];
      const key = JSON.stringify(list);
      if (key === this.commandsKey) return;
      this.commandsKey = key;
      this.chips.replaceChildren();
      for (const item of list) {
        const command = `/${item.command}`;
        const chip = el("button", "chip", command);
        chip.type = "button";
        chip.title = item.description || command;
        chip.addEventListener("click", () => this.sendCommand(command));
        this.chips.append(chip);
      }
      this.chips.hidden = this.blocked || !list.length;
    }

    // ------------------------------------------------------------ reactions

    /** Tapping a message offers reactions, as Telegram does. */
    onMessageClick(event) {
      const target = event.target;
      if (target.closest(".reaction-picker, .kb, .reactions, a, button, .cmd, .spoiler, .media-spoiler")) return;
      const bubble = target.closest(".bubble");
      const wrap = bubble && bubble.closest(".msg");
      const open = this.list.querySelector(".reaction-picker");
      if (open) open.remove();
      if (!wrap || (open && open.parentElement === wrap)) return;
      const message = this.messages.get(Number(wrap.dataset.messageId));
      if (!message || message.deleted) return;
      const current = (message.user_reactions || []).map((reaction) => reaction.emoji);
      const picker = el("div", "reaction-picker");
      picker.setAttribute("role", "toolbar");
      picker.setAttribute("aria-label", "Reactions");
      for (const emoji of REACTIONS) {
        const option = el("button", "reaction-option", emoji);
        option.type = "button";
        option.setAttribute("aria-label", `React with ${emoji}`);
        option.classList.toggle("chosen", current.includes(emoji));
        option.addEventListener("click", () => {
          picker.remove();
          this.react(message, current.includes(emoji) ? null : emoji);
        });
        picker.append(option);
      }
      wrap.insertBefore(picker, bubble.nextSibling);
    }

    async react(message, emoji) {
      try {
        await this.userApi("POST", "react", { message_id: message.message_id, emoji });
      } catch (err) {
        this.toast(err.message, "error");
      }
    }
  }

  function mediaLine(icon, title, subtitle) {
    const line = el("div", "media-line");
    line.append(el("span", "media-icon", icon));
    const text = el("div");
    text.append(el("div", "media-title", title));
    if (subtitle) text.append(el("div", "media-sub", subtitle));
    line.append(text);
    return line;
  }

  function duration(media) {
    const seconds = media && Number(media.duration);
    if (!seconds && seconds !== 0) return "";
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function size(bytes) {
    const value = Number(bytes);
    if (!value) return "";
    if (value < 1024) return `${value} B`;
    if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KB`;
    return `${(value / 1024 / 1024).toFixed(1)} MB`;
  }

  function nextName() {
    const taken = new Set(
      state.columns.map((column) =>
        column.user ? column.user.first_name : column.q(".setup-name").value.trim(),
      ),
    );
    return NAMES.find((name) => !taken.has(name)) || `User ${state.columns.length + 1}`;
  }

  function addColumn(user, suggestedName) {
    const column = new Column(user, suggestedName);
    state.columns.push(column);
    column.root.scrollIntoView({ behavior: "smooth", inline: "end", block: "nearest" });
    return column;
  }

  // ------------------------------------------------------------------ start

  async function loadSamples() {
    try {
      const response = await fetch("/sandbox/samples");
      const samples = await response.json();
      if (Array.isArray(samples)) state.samples = samples;
    } catch (_error) {
      state.samples = [];
    }
    state.samplesByFileId = new Map(state.samples.map((sample) => [sample.file_id, sample]));
  }

  async function main() {
    document.getElementById("add-user").addEventListener("click", () => {
      const column = addColumn(null);
      column.q(".setup-name").select();
    });
    await loadSamples();
    let info = null;
    for (let attempt = 0; attempt < 40 && !info; attempt += 1) {
      try {
        info = await api("GET", "/_emu");
      } catch (_error) {
        botBadge.textContent = "waiting for the sandbox…";
        await sleep(1000);
      }
    }
    if (info && info.bot) {
      state.bot = info.bot;
      botBadge.textContent = `@${info.bot.username || info.bot.first_name}`;
      botBadge.classList.add("online");
    }
    const users = (info && info.users) || [];
    if (users.length) {
      for (const user of users) addColumn(user);
    } else {
      addColumn(null, NAMES[0]);
      addColumn(null, NAMES[1]);
    }
    document.body.dataset.ready = "true";
  }

  main();
})();
