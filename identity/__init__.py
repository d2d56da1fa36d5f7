"""Identity: citizens, real-name verification, OTP login, tokens, roles, venues and gates."""
