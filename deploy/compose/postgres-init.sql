-- Run once by the postgres image, on an empty data directory, as the superuser `civic`.
-- One database per service: no service reads another's.
CREATE DATABASE intake;
CREATE DATABASE cases;
CREATE DATABASE notify;
CREATE DATABASE payments;
