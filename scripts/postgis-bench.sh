#!/usr/bin/env bash
# Runs the spatial benchmark's workload on PostgreSQL + PostGIS and prints our figures beside
# PostGIS's. See docs/spatial.md.
#
#   scripts/postgis-bench.sh            # 1,000,000 points
#   POINTS=100000 scripts/postgis-bench.sh
#
# Needs a local PostgreSQL 15 (trust auth) — PGHOST/PGPORT/PGUSER as usual, default
# 127.0.0.1:5432 user postgres — and installs postgresql-15-postgis-3 if PostGIS is missing.
# Works in a scratch database (BENCH_DB, default wilayah_spatial_bench) that it drops first.
set -euo pipefail
cd "$(dirname "$0")/.."

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${BENCH_DB:-wilayah_spatial_bench}
POINTS=${POINTS:-1000000}
QUERIES=${QUERIES:-2000}
OUT=${OUT:-${CARGO_TARGET_DIR:-target}/postgis-bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if ! psql -d postgres -Atqc "select 1 from pg_available_extensions where name = 'postgis'" | grep -q 1; then
  echo "PostGIS not found; installing postgresql-15-postgis-3" >&2
  apt-get update -qq && apt-get install -y -qq postgresql-15-postgis-3
fi

echo "== our figures (cargo bench, release) =="
cargo bench -q -p wilayah-shared --bench spatial -- --points "$POINTS" --export "$OUT"

echo "== loading PostGIS database $DB =="
dropdb --if-exists "$DB"
createdb "$DB"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
psql -c "create extension postgis"
psql <<SQL
set max_parallel_workers_per_gather = 0; -- single-threaded like our bench
create table pts (id bigint primary key, lon float8, lat float8);
create table queries (id int primary key, lon float8, lat float8);
create table counties_raw (fips int, wkt text);
\copy pts from '$OUT/points.csv' csv
\copy queries from '$OUT/queries.csv' csv
\copy counties_raw from '$OUT/counties.csv' csv delimiter E'\t' quote '"'
create table counties as
  select fips, st_makevalid(st_geomfromtext(wkt, 4326)) as geom from counties_raw;
create index on counties using gist (geom);
alter table queries add column g geography(Point, 4326);
update queries set g = st_makepoint(lon, lat)::geography;
\timing on
\echo build: geography column + GiST index (comparable to our bulk load)
create temp table t0 as select clock_timestamp() as t;
alter table pts add column g geography(Point, 4326), add column geom geometry(Point, 4326);
update pts set g = st_makepoint(lon, lat)::geography, geom = st_setsrid(st_makepoint(lon, lat), 4326);
create index pts_g on pts using gist (g);
create index pts_geom on pts using gist (geom);
\timing off
create table result (k text primary key, v float8);
insert into result select 'load_s', extract(epoch from clock_timestamp() - t) from t0;
vacuum analyze pts;
vacuum analyze counties;
SQL

echo "== running the workload on PostGIS ($QUERIES query centres) =="
psql <<SQL
set max_parallel_workers_per_gather = 0;
create or replace function bench(kind text, n int) returns void language plpgsql as \$\$
declare
  q record; t0 timestamptz; times float8[] := '{}'; hits bigint := 0; c bigint;
begin
  for q in select g from queries order by id limit n loop
    t0 := clock_timestamp();
    if kind = 'knn' then
      select count(*) into c from (select id from pts order by g <-> q.g limit 10) s;
    else
      select count(*) into c from (
        select id from pts where st_dwithin(g, q.g, 5000, false)
        order by st_distance(g, q.g, false)) s;
    end if;
    times := times || extract(epoch from clock_timestamp() - t0) * 1e6;
    hits := hits + c;
  end loop;
  insert into result values
    (kind || '_median_us', (select percentile_cont(0.5) within group (order by x) from unnest(times) x)),
    (kind || '_p99_us', (select percentile_cont(0.99) within group (order by x) from unnest(times) x)),
    (kind || '_mean_hits', hits::float8 / n);
end \$\$;
select bench('knn', 200);    -- warm-up
delete from result where k like 'knn%';
select bench('knn', $QUERIES);
select bench('radius', $QUERIES);
create temp table t1 as select clock_timestamp() as t;
create temp table assigned as
  select p.id, count(*) as n from pts p join counties c on st_contains(c.geom, p.geom) group by p.id;
insert into result select 'assign_s', extract(epoch from clock_timestamp() - t) from t1;
insert into result select 'assigned', count(*) from assigned where n = 1;
SQL

ours() { awk -v k="$1" '$1 == k { print $2 }' "$OUT/ours.txt"; }
theirs() { command psql -X -At -d "$DB" -c "select v from result where k = '$1'"; }
row() { # label, our key, their key, unit
  local o t
  o=$(ours "$2"); t=$(theirs "$3")
  awk -v l="$1" -v o="$o" -v t="$t" -v u="$4" \
    'BEGIN { printf "%-24s %12.3f %12.3f %-3s %8.1fx\n", l, o, t, u, (o > 0 ? t / o : 0) }'
}
echo
echo "== Wilayah (rstar, in process) vs PostGIS $(command psql -X -At -d "$DB" -c 'select postgis_lib_version()') =="
printf "%-24s %12s %12s %-3s %9s\n" "workload" "ours" "PostGIS" "" "PostGIS/ours"
row "build index (1M)" load_s load_s s
row "nearest k=10 median" knn_median_us knn_median_us µs
row "nearest k=10 p99" knn_p99_us knn_p99_us µs
row "radius 5 km median" radius_median_us radius_median_us µs
row "radius 5 km p99" radius_p99_us radius_p99_us µs
row "assign to counties" assign_s assign_s s
echo "radius mean hits: ours $(ours radius_mean_hits), PostGIS $(theirs radius_mean_hits) (PostGIS over the first $QUERIES centres)"
echo "points in exactly one county: ours $(ours assigned), PostGIS $(theirs assigned) (PostGIS: ST_Contains excludes boundaries; geometries passed through ST_MakeValid)"
