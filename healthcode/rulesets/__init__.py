"""Versioned colour rulesets (JSON data; format in docs/healthcode-rules.md)."""
