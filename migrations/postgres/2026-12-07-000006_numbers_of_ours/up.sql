-- Our numbers that customers have texted. With the configured numbers and the admins' list, they are the
-- numbers agents may send from: a conversation from any other number is refused (numbers.rs).
CREATE TABLE texted_numbers (
    number          TEXT      PRIMARY KEY,
    first_texted_at TIMESTAMP NOT NULL
);
INSERT INTO texted_numbers (number, first_texted_at)
    SELECT t.channel_number, min(m.created_at)
    FROM messages m JOIN tickets t ON t.id = m.ticket_id
    WHERE m.direction = 'inbound'
    GROUP BY t.channel_number;
