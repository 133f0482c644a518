# heuristic-dropout-vs-others: Heuristic Dropout beats dropout, SpatialDropout and DropBlock in a U-Net
# Re-render with `gnuplot Reports/figures/heuristic-dropout-vs-others.gp` from the repository root, or `gnuplot heuristic-dropout-vs-others.gp` here.
# Writes heuristic-dropout-vs-others.svg and heuristic-dropout-vs-others.png next to this script from heuristic-dropout-vs-others.dat.

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
set output 'heuristic-dropout-vs-others.svg'
set title 'Heuristic Dropout beats dropout, SpatialDropout and DropBlock in a U-Net'
set xlabel 'regularizer'
set ylabel 'dice (%)'
set grid ytics
set key outside below
set xtics ('none' 0, 'heuristic-dropout' 1, 'dropout' 2, 'spatial-dropout' 3, 'dropblock' 4)
set xrange [-0.5:4.5]
plot 'heuristic-dropout-vs-others.dat' index 0 using 1:2:3:4 with yerrorbars pt 7 ps 1.2 lw 1.5 notitle

set terminal pngcairo size 720,440 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'heuristic-dropout-vs-others.png'
replot
set output
