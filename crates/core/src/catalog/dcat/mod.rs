//! DCAT-AP 3 export of the catalogue (JSON-LD and Turtle), validated against the official
//! SHACL shapes.
