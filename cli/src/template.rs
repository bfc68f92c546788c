//! The SAM template, generated from the catalogue.
