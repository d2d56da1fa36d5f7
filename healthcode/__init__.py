"""Health code: declarations, colour rules, signed rotating codes, QR images, gate scans."""
