DROP TABLE job_shards;
DROP TABLE jobs;
