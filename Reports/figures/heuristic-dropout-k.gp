# heuristic-dropout-k: Heuristic Dropout works best at k = 3
# Re-render with `gnuplot Reports/figures/heuristic-dropout-k.gp` from the repository root, or `gnuplot heuristic-dropout-k.gp` here.
# Writes heuristic-dropout-k.svg and heuristic-dropout-k.png next to this script from heuristic-dropout-k.dat.

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
set output 'heuristic-dropout-k.svg'
set title 'Heuristic Dropout works best at k = 3'
set xlabel 'k'
set ylabel 'dice (%)'
set grid ytics
set key outside below
set offsets graph 0.04, graph 0.04, graph 0.06, graph 0.06
set arrow from 3, graph 0 to 3, graph 1 nohead dashtype 2 lw 1.5 lc rgb '#555555'
set label 'paper''s best' at 3, graph 0.96 offset character 0.6, 0 left tc rgb '#555555'
plot 'heuristic-dropout-k.dat' index 0 using 1:2:3:4 with yerrorlines pt 7 ps 0.8 lw 1.5 notitle

set terminal pngcairo size 720,440 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'heuristic-dropout-k.png'
replot
set output
