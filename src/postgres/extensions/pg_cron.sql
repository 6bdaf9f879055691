-- pg_cron as a throwaway cluster offers it (schemaproof stub). cron.schedule
-- and cron.unschedule record and remove jobs in cron.job as on the platform;
-- no job ever runs (there is no scheduler), so cron.job_run_details stays
-- empty: a test that waits for a job's effect fails here.
\echo Use "CREATE EXTENSION pg_cron" to load this file. \quit

create schema if not exists cron;

create table cron.job (
  jobid bigserial primary key,
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport integer not null default 5432,
  database text not null default current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text,
  constraint jobname_username_uniq unique (jobname, username)
);

create table cron.job_run_details (
  jobid bigint,
  runid bigserial primary key,
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);

-- pg_cron accepts five-field cron expressions, '[1-59] seconds' and '@' shortcuts.
create function cron._check_schedule(schedule text) returns void
  language plpgsql immutable
as $$
begin
  if schedule !~ '^\s*(\S+\s+){4}\S+\s*$' and schedule !~* '^\s*[0-9]+\s+seconds?\s*$' and schedule !~ '^@(yearly|annually|monthly|weekly|daily|midnight|hourly|reboot)$' then
    raise exception 'invalid schedule: %', schedule;
  end if;
end
$$;

create function cron.schedule(schedule text, command text) returns bigint
  language plpgsql
as $$
declare
  id bigint;
begin
  perform cron._check_schedule(schedule);
  insert into cron.job (schedule, command) values (schedule, command) returning jobid into id;
  return id;
end
$$;

create function cron.schedule(job_name text, schedule text, command text) returns bigint
  language plpgsql
as $$
declare
  id bigint;
begin
  perform cron._check_schedule(schedule);
  insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
  on conflict (jobname, username) do update set schedule = excluded.schedule, command = excluded.command
  returning jobid into id;
  return id;
end
$$;

create function cron.unschedule(job_id bigint) returns boolean
  language plpgsql
as $$
begin
  delete from cron.job where jobid = job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
  return true;
end
$$;

create function cron.unschedule(job_name text) returns boolean
  language plpgsql
as $$
begin
  delete from cron.job where jobname = job_name and username = current_user;
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name;
  end if;
  return true;
end
$$;

grant usage on schema cron to public;
