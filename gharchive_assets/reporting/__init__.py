"""What people read: the daily report's HTML and the summary ``make run`` prints."""
