// plotly.js made of the three trace types the internals draw (scatter, which is in the core, bar and heatmap),
// from its source modules: the whole library (4.8 MB, what st.plotly_chart loads) took 1.6-2.0 s to load before a
// page's first chart on a 2-core machine, its ready-made cartesian bundle (1.5 MB) 0.7-0.8 s, this one (1.2 MB) 0.3 s.
import Plotly from "plotly.js/lib/core";
import bar from "plotly.js/lib/bar";
import heatmap from "plotly.js/lib/heatmap";

Plotly.register([bar, heatmap]);

export default Plotly;
