//! Data catalogue (issue 3): every agency's datasets (supply) and needs (demand), harvested
//! from existing portals, in one record that covers Taiwan's metadata standard and DCAT-AP 3.
//! Depends on: agencies, audit, import. Never on HTTP or SQL.
