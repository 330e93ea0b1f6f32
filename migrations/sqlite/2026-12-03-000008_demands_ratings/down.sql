DROP TABLE demands;
DROP TABLE ratings;
