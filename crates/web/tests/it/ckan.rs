//! CKAN clients read civitas through the CKAN-compatible API.
