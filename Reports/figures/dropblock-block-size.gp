# dropblock-block-size: DropBlock accuracy grows with block size up to the feature-map size
# Re-render with `gnuplot Reports/figures/dropblock-block-size.gp` from the repository root, or `gnuplot dropblock-block-size.gp` here.
# Writes dropblock-block-size.svg and dropblock-block-size.png next to this script from dropblock-block-size.dat.

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
set output 'dropblock-block-size.svg'
set title 'DropBlock accuracy grows with block size up to the feature-map size'
set xlabel 'block size'
set ylabel 'test accuracy (%)'
set grid ytics
set key outside below
set offsets graph 0.04, graph 0.04, graph 0.06, graph 0.06
set arrow from 7, graph 0 to 7, graph 1 nohead dashtype 2 lw 1.5 lc rgb '#555555'
set label 'paper''s best' at 7, graph 0.96 offset character 0.6, 0 left tc rgb '#555555'
plot 'dropblock-block-size.dat' index 0 using 1:2:3:4 with yerrorlines pt 7 ps 0.8 lw 1.5 notitle

set terminal pngcairo size 720,440 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'dropblock-block-size.png'
replot
set output
