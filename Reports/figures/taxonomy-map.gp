# taxonomy-map: every registry method by transformation space and dependence
# Re-render with `gnuplot Reports/figures/taxonomy-map.gp` from the repository root, or `gnuplot taxonomy-map.gp` here.
# Writes taxonomy-map.svg and taxonomy-map.png next to this script from taxonomy-map.dat.

# Work in this script's own directory (ARG0 is the script path), so relative paths resolve anywhere.
script_dir = '.'
if (exists("ARG0") && strlen(ARG0) > 0) {
  i = strlen(ARG0)
  while (i > 0 && ARG0[i:i] ne '/') { i = i - 1 }
  if (i > 0) { script_dir = ARG0[1:i] }
}
cd script_dir

set encoding utf8
set terminal svg size 1400,600 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'taxonomy-map.svg'
set title 'Regularizers by what they transform and what their drop depends on (Kukačka et al. 2017)'
set xtics ('input images' 0, 'the training loop' 1, 'activations' 2, 'feature maps' 3, 'fully connected units' 4, 'weights' 5, 'residual branches' 6, 'expert routing' 7, 'tree gates' 8) rotate by -30 left font ',9'
set ytics ('chance only' 0, 'the activations' 1, 'the weights' 2, 'the labels' 3, 'labels and validation data' 4, 'statistics over training' 5, 'learnt parameters' 6) font ',9'
set xrange [-0.4:8.9]
set yrange [-0.6:6.6]
set grid xtics ytics
set key outside right top font ',9'
set bmargin 7
set lmargin 24
plot 'taxonomy-map.dat' index 0 using 1:2:3 with labels point pt 7 ps 0.9 lc rgb '#1b9e77' tc rgb '#1b9e77' offset character 0.7, 0 left font ',8' title 'data', \
     '' index 1 using 1:2:3 with labels point pt 7 ps 0.9 lc rgb '#d95f02' tc rgb '#d95f02' offset character 0.7, 0 left font ',8' title 'architecture', \
     '' index 2 using 1:2:3 with labels point pt 7 ps 0.9 lc rgb '#66a61e' tc rgb '#66a61e' offset character 0.7, 0 left font ',8' title 'optimization'

set terminal pngcairo size 1400,600 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'taxonomy-map.png'
replot
set output
