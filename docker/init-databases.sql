-- Run once by the postgres image's entrypoint, on an empty data directory (docker-compose.yml).
-- One database per subgraph, named as in shared/src/topology.ts (databaseNames), each owned by a
-- login role of its own: a subgraph can create and migrate its tables, and no subgraph can even
-- connect to another's database (docs/architecture.md: no service reads another's tables).
-- The gateway's rate-limit counters (topology.ts gatewayDatabaseName) get a database and role of
-- their own the same way. The passwords are the ones in docker-compose.yml's DATABASE_URL and
-- RATE_LIMIT_DATABASE_URL settings; change both together.

CREATE ROLE coalition_member LOGIN PASSWORD 'coalition_member';
CREATE DATABASE coalition_member OWNER coalition_member;
REVOKE ALL ON DATABASE coalition_member FROM PUBLIC;

CREATE ROLE coalition_partner LOGIN PASSWORD 'coalition_partner';
CREATE DATABASE coalition_partner OWNER coalition_partner;
REVOKE ALL ON DATABASE coalition_partner FROM PUBLIC;

CREATE ROLE coalition_settlement LOGIN PASSWORD 'coalition_settlement';
CREATE DATABASE coalition_settlement OWNER coalition_settlement;
REVOKE ALL ON DATABASE coalition_settlement FROM PUBLIC;

CREATE ROLE coalition_gateway LOGIN PASSWORD 'coalition_gateway';
CREATE DATABASE coalition_gateway OWNER coalition_gateway;
REVOKE ALL ON DATABASE coalition_gateway FROM PUBLIC;
