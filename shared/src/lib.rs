//! Wilayah's pure core: domain types shared by the server and the browser, coordinate validation,
//! and (in later modules) the spatial engine. Nothing here does I/O, so it compiles to wasm32 too.

pub mod access;
pub mod account;
pub mod analytics;
pub mod campaigns;
pub mod coord;
pub mod dashboard;
pub mod domain;
pub mod duplicates;
pub mod field;
pub mod geocode;
pub mod geojson;
pub mod money;
pub mod pipeline;
pub mod placing;
pub mod planning;
pub mod resource;
pub mod resources;
pub mod rng;
pub mod routing;
pub mod sales;
pub mod segments;
pub mod service;
pub mod spatial;
pub mod surveys;
pub mod text;
pub mod transfer;
pub mod views;

pub use coord::{CoordError, LonLat};
