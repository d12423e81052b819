DROP TABLE rejections;
DROP TABLE contributions;
DROP TABLE campaign_keys;
DROP TABLE attestation_keys;
DROP TABLE registry_roots;
DROP TABLE identities;
