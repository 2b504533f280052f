"""Plain-Python helpers (no ORM): PDF work, and later OTP, phones, penalties."""
