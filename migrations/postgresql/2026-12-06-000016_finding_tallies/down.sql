DROP TABLE finding_tallies;
