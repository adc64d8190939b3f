"""Calls with an advisor: free slots, bookings, their emails with an .ics invitation, the signed
link to cancel or move, the reminder the day before and the purge of personal data."""
