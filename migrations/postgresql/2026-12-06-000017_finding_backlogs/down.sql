DROP TABLE finding_backlogs;
