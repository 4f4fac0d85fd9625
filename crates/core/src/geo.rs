//! Spatial layers: layers classified by usage scenario and business theme, served through
//! OGC API Features.
