-- The audit log: an admin looked at or did something. $1 admin, $2 action, $3 report, $4 user.
INSERT INTO admin_audit (admin_id, action, report_id, target_user_id) VALUES ($1, $2, $3, $4)
