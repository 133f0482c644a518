# dropout-p-sweep: Dropout retention p has a broad optimum in [0.4, 0.8]
# Re-render with `gnuplot Reports/figures/dropout-p-sweep.gp` from the repository root, or `gnuplot dropout-p-sweep.gp` here.
# Writes dropout-p-sweep.svg and dropout-p-sweep.png next to this script from dropout-p-sweep.dat.

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
set output 'dropout-p-sweep.svg'
set title 'Dropout retention p has a broad optimum in [0.4, 0.8]'
set xlabel 'retention p (paper''s axis)'
set ylabel 'test accuracy (%)'
set grid ytics
set key outside below
set offsets graph 0.04, graph 0.04, graph 0.06, graph 0.06
plot 'dropout-p-sweep.dat' index 0 using 1:2:3:4 with yerrorlines pt 7 ps 0.8 lw 1.5 title 'fashion-mnist', \
     '' index 1 using 1:2:3:4 with yerrorlines pt 7 ps 0.8 lw 1.5 title 'mnist-5k'

set terminal pngcairo size 720,440 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'dropout-p-sweep.png'
replot
set output
