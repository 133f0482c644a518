# dropout-dataset-size: Dropout helps from ~5K training samples, not at 100–500
# Re-render with `gnuplot Reports/figures/dropout-dataset-size.gp` from the repository root, or `gnuplot dropout-dataset-size.gp` here.
# Writes dropout-dataset-size.svg and dropout-dataset-size.png next to this script from dropout-dataset-size.dat.

# Work in this script's own directory (ARG0 is the script path), so relative paths resolve anywhere.
script_dir = '.'
if (exists("ARG0") && strlen(ARG0) > 0) {
  i = strlen(ARG0)
  while (i > 0 && ARG0[i:i] ne '/') { i = i - 1 }
  if (i > 0) { script_dir = ARG0[1:i] }
}
cd script_dir

set encoding utf8
set terminal svg size 720,440 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'dropout-dataset-size.svg'
set title 'Dropout helps from ~5K training samples, not at 100–500'
set xlabel 'training-set size'
set ylabel 'test accuracy (%)'
set grid ytics
set key outside below
set logscale x
set offsets graph 0.04, graph 0.04, graph 0.06, graph 0.06
plot 'dropout-dataset-size.dat' index 0 using 1:2:3:4 with yerrorlines pt 7 ps 0.8 lw 1.5 title 'none', \
     '' index 1 using 1:2:3:4 with yerrorlines pt 7 ps 0.8 lw 1.5 title 'dropout'

set terminal pngcairo size 720,440 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'dropout-dataset-size.png'
replot
set output
