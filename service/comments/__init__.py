"""Comments: intake with its synchronous checks, reading, threading and deletion."""
