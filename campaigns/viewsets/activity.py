"""Events and orders in the admin: read-only, they are facts reported by other systems."""
