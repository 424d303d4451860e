-- The deltacrown staging world's tables, as far as P5-T6 touches them (see the "staging
-- world" section of docs/architecture.md). Applied to a fresh database by dwtui.demo.database.

CREATE TABLE vnext_team (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    game        text NOT NULL DEFAULT '',
    region      text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vnext_team_membership (
    id          bigserial PRIMARY KEY,
    team_id     bigint NOT NULL REFERENCES vnext_team(id) ON DELETE CASCADE,
    username    text NOT NULL,
    role        text NOT NULL DEFAULT 'player',
    status      text NOT NULL DEFAULT 'active',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Legacy ids start far from vNext ids so a mix-up of the two shows at once.
CREATE TABLE teams_team (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    game        text NOT NULL DEFAULT '',
    region      text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE teams_team_id_seq RESTART WITH 10001;

CREATE TABLE teams_teammembership (
    id          bigserial PRIMARY KEY,
    team_id     bigint NOT NULL REFERENCES teams_team(id) ON DELETE CASCADE,
    username    text NOT NULL,
    role        text NOT NULL DEFAULT 'player',
    status      text NOT NULL DEFAULT 'active',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_migration_map (
    id             bigserial PRIMARY KEY,
    legacy_team_id bigint NOT NULL UNIQUE REFERENCES teams_team(id) ON DELETE CASCADE,
    vnext_team_id  bigint NOT NULL UNIQUE REFERENCES vnext_team(id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- Not part of deltacrown: the stand-in's record of dual-write hook outcomes, from which the
-- validation report's dual_write_health section is computed.
CREATE TABLE demo_dual_write_event (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    operation  text NOT NULL,
    team_id    bigint,
    outcome    text NOT NULL CHECK (outcome IN ('scheduled', 'failed', 'inline')),
    error      text NOT NULL DEFAULT ''
);

-- Pre-existing data: 50 vNext teams, the first 40 already backfilled to legacy and mapped,
-- so mapping coverage starts at 80 %.
INSERT INTO vnext_team (name, slug, game, region, description)
SELECT 'Seed Team ' || n, 'seed-team-' || n,
       (ARRAY['valorant', 'efootball', 'pubg-mobile'])[1 + n % 3],
       (ARRAY['bd', 'in', 'sg'])[1 + n % 3], 'pre-existing team'
FROM generate_series(1, 50) AS n;

INSERT INTO vnext_team_membership (team_id, username, role)
SELECT t.id, 'seed-player-' || t.id || '-' || m, CASE WHEN m = 1 THEN 'captain' ELSE 'player' END
FROM vnext_team t, generate_series(1, 3) AS m;

INSERT INTO teams_team (name, slug, game, region, description)
SELECT name, slug, game, region, description FROM vnext_team WHERE id <= 40 ORDER BY id;

INSERT INTO team_migration_map (legacy_team_id, vnext_team_id)
SELECT l.id, v.id FROM teams_team l JOIN vnext_team v ON v.slug = l.slug;

INSERT INTO teams_teammembership (team_id, username, role, status)
SELECT m.legacy_team_id, vm.username, vm.role, vm.status
FROM vnext_team_membership vm JOIN team_migration_map m ON m.vnext_team_id = vm.team_id;
