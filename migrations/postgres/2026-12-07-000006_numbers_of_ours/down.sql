DROP TABLE texted_numbers;
