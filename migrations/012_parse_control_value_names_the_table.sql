-- Up Migration
-- _tide.parse_control_value takes the table whose value it parses (to name it in its errors) as
-- its fourth argument; the installer re-creates it from plpgsql/ after the migrations.
drop function if exists _tide.parse_control_value(text, regtype, text, interval, bigint);

-- Down Migration
