"""One way to write a date and a time in the back office, in lists, pages and histories alike:
"2 Dec 2026, 21:29" (Django's English default is "Dec. 2, 2026, 9:29 p.m.")."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
