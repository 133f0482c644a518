# conv-regularizers-compare-curves: Every conv-level regularizer on one ResNet and one budget; DropBlock against the others of its table
# Re-render with `gnuplot Reports/figures/conv-regularizers-compare-curves.gp` from the repository root, or `gnuplot conv-regularizers-compare-curves.gp` here.
# Writes conv-regularizers-compare-curves.svg and conv-regularizers-compare-curves.png next to this script from conv-regularizers-compare-curves.dat.

# Work in this script's own directory (ARG0 is the script path), so relative paths resolve anywhere.
script_dir = '.'
if (exists("ARG0") && strlen(ARG0) > 0) {
  i = strlen(ARG0)
  while (i > 0 && ARG0[i:i] ne '/') { i = i - 1 }
  if (i > 0) { script_dir = ARG0[1:i] }
}
cd script_dir

set encoding utf8

set terminal svg size 1100,480 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'conv-regularizers-compare-curves.svg'
set multiplot title 'test accuracy and train accuracy vs epoch, per arm (mean over seeds)'
set label 99 'default scale · 5 seeds' at screen 0.99, screen 0.975 right font ',9' tc rgb '#555555'
set grid
set xlabel 'epoch'
set lmargin at screen 0.07
set rmargin at screen 0.38
set tmargin at screen 0.85
set bmargin at screen 0.12
set title 'test accuracy (%)'
set key off
plot 'conv-regularizers-compare-curves.dat' index 0 using 1:3 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 1 using 1:3 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 2 using 1:3 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 3 using 1:3 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 4 using 1:3 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 5 using 1:3 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 6 using 1:3 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 7 using 1:3 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 8 using 1:3 with linespoints lc 1 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 9 using 1:3 with linespoints lc 2 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 10 using 1:3 with linespoints lc 3 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 11 using 1:3 with linespoints lc 4 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 12 using 1:3 with linespoints lc 5 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 13 using 1:3 with linespoints lc 6 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 14 using 1:3 with linespoints lc 7 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 15 using 1:3 with linespoints lc 8 dt 2 pt 7 ps 0.5 lw 1.5 notitle
unset label 99
set lmargin at screen 0.45
set rmargin at screen 0.76
set title 'train accuracy (%)'
set key at screen 0.78, screen 0.85 left top font ',8' spacing 1.1
plot 'conv-regularizers-compare-curves.dat' index 0 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 title 'no regularization', \
     '' index 1 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 title 'dropout 0.3', \
     '' index 2 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 title 'SpatialDropout 0.2', \
     '' index 3 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 title 'DropBlock 0.1', \
     '' index 4 using 1:2 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 title 'DropBlock 0.1, scheduled', \
     '' index 5 using 1:2 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 title 'Cutout 14 px', \
     '' index 6 using 1:2 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 title 'DropPath 0.1', \
     '' index 7 using 1:2 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 title 'stochastic depth p_L 0.5', \
     '' index 8 using 1:2 with linespoints lc 1 dt 2 pt 7 ps 0.5 lw 1.5 title 'CorrDrop spatial 0.2', \
     '' index 9 using 1:2 with linespoints lc 2 dt 2 pt 7 ps 0.5 lw 1.5 title 'CorrDrop channel 0.2', \
     '' index 10 using 1:2 with linespoints lc 3 dt 2 pt 7 ps 0.5 lw 1.5 title 'Channel DropBlock 0.2', \
     '' index 11 using 1:2 with linespoints lc 4 dt 2 pt 7 ps 0.5 lw 1.5 title 'FocusedDropout', \
     '' index 12 using 1:2 with linespoints lc 5 dt 2 pt 7 ps 0.5 lw 1.5 title 'heuristic dropout k=2', \
     '' index 13 using 1:2 with linespoints lc 6 dt 2 pt 7 ps 0.5 lw 1.5 title 'learnable channel dropout 0.2', \
     '' index 14 using 1:2 with linespoints lc 7 dt 2 pt 7 ps 0.5 lw 1.5 title 'CutMix', \
     '' index 15 using 1:2 with linespoints lc 8 dt 2 pt 7 ps 0.5 lw 1.5 title 'Attentive CutMix'
unset multiplot

set terminal pngcairo size 1100,480 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'conv-regularizers-compare-curves.png'
set multiplot title 'test accuracy and train accuracy vs epoch, per arm (mean over seeds)'
set label 99 'default scale · 5 seeds' at screen 0.99, screen 0.975 right font ',9' tc rgb '#555555'
set grid
set xlabel 'epoch'
set lmargin at screen 0.07
set rmargin at screen 0.38
set tmargin at screen 0.85
set bmargin at screen 0.12
set title 'test accuracy (%)'
set key off
plot 'conv-regularizers-compare-curves.dat' index 0 using 1:3 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 1 using 1:3 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 2 using 1:3 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 3 using 1:3 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 4 using 1:3 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 5 using 1:3 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 6 using 1:3 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 7 using 1:3 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 8 using 1:3 with linespoints lc 1 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 9 using 1:3 with linespoints lc 2 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 10 using 1:3 with linespoints lc 3 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 11 using 1:3 with linespoints lc 4 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 12 using 1:3 with linespoints lc 5 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 13 using 1:3 with linespoints lc 6 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 14 using 1:3 with linespoints lc 7 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 15 using 1:3 with linespoints lc 8 dt 2 pt 7 ps 0.5 lw 1.5 notitle
unset label 99
set lmargin at screen 0.45
set rmargin at screen 0.76
set title 'train accuracy (%)'
set key at screen 0.78, screen 0.85 left top font ',8' spacing 1.1
plot 'conv-regularizers-compare-curves.dat' index 0 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 title 'no regularization', \
     '' index 1 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 title 'dropout 0.3', \
     '' index 2 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 title 'SpatialDropout 0.2', \
     '' index 3 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 title 'DropBlock 0.1', \
     '' index 4 using 1:2 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 title 'DropBlock 0.1, scheduled', \
     '' index 5 using 1:2 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 title 'Cutout 14 px', \
     '' index 6 using 1:2 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 title 'DropPath 0.1', \
     '' index 7 using 1:2 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 title 'stochastic depth p_L 0.5', \
     '' index 8 using 1:2 with linespoints lc 1 dt 2 pt 7 ps 0.5 lw 1.5 title 'CorrDrop spatial 0.2', \
     '' index 9 using 1:2 with linespoints lc 2 dt 2 pt 7 ps 0.5 lw 1.5 title 'CorrDrop channel 0.2', \
     '' index 10 using 1:2 with linespoints lc 3 dt 2 pt 7 ps 0.5 lw 1.5 title 'Channel DropBlock 0.2', \
     '' index 11 using 1:2 with linespoints lc 4 dt 2 pt 7 ps 0.5 lw 1.5 title 'FocusedDropout', \
     '' index 12 using 1:2 with linespoints lc 5 dt 2 pt 7 ps 0.5 lw 1.5 title 'heuristic dropout k=2', \
     '' index 13 using 1:2 with linespoints lc 6 dt 2 pt 7 ps 0.5 lw 1.5 title 'learnable channel dropout 0.2', \
     '' index 14 using 1:2 with linespoints lc 7 dt 2 pt 7 ps 0.5 lw 1.5 title 'CutMix', \
     '' index 15 using 1:2 with linespoints lc 8 dt 2 pt 7 ps 0.5 lw 1.5 title 'Attentive CutMix'
unset multiplot
set output
# generated by dropbench report from results/conv-regularizers-compare.json
