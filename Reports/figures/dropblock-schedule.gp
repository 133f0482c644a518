# dropblock-schedule: Scheduled DropBlock keep_prob beats a fixed one
# Re-render with `gnuplot Reports/figures/dropblock-schedule.gp` from the repository root, or `gnuplot dropblock-schedule.gp` here.
# Writes dropblock-schedule.svg and dropblock-schedule.png next to this script from dropblock-schedule.dat.

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
set output 'dropblock-schedule.svg'
set title 'Scheduled DropBlock keep_prob beats a fixed one'
set xlabel 'drop rate (1 − keep_prob)'
set ylabel 'test accuracy (%)'
set grid ytics
set key outside below
set offsets graph 0.04, graph 0.04, graph 0.06, graph 0.06
plot 'dropblock-schedule.dat' index 0 using 1:2:3:4 with yerrorlines pt 7 ps 0.8 lw 1.5 title 'regularizer.schedule=fixed', \
     '' index 1 using 1:2:3:4 with yerrorlines pt 7 ps 0.8 lw 1.5 title 'regularizer.schedule=linear'

set terminal pngcairo size 720,440 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'dropblock-schedule.png'
replot
set output
