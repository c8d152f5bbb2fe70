//! Service level objectives (`kind = "slo"`): an SLO per page or per OpenSLO `SLO`
//! resource, its error budget over the current window, the incidents that burned it,
//! and a catalogue per service.

pub mod budget;
pub mod catalog;
pub mod chart;
pub mod model;
pub mod openslo;
pub mod scaffold;
pub mod window;
