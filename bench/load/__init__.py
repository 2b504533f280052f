"""``make load``: Odoo in production mode (workers, cron worker, two servers) under load and faults."""
