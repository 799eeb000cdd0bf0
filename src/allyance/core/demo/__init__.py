"""The bilingual demo data set: its vocabulary and the builder that turns it into records."""
