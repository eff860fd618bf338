"""Business-hours policies and the calendar engine that answers every question about business time."""
