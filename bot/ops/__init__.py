"""Operations: the HTTP ops server (health, metrics), logging and the event-loop monitor."""
