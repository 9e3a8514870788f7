//! entitle-core: the pure heart of entitle.
#![doc = include_str!("../README.md")]

pub mod config;
pub mod domain;
pub mod graph;
pub mod time;
