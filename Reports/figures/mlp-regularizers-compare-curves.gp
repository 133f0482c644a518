# mlp-regularizers-compare-curves: Every MLP regularizer against no regularization, on one net and one budget
# Re-render with `gnuplot Reports/figures/mlp-regularizers-compare-curves.gp` from the repository root, or `gnuplot mlp-regularizers-compare-curves.gp` here.
# Writes mlp-regularizers-compare-curves.svg and mlp-regularizers-compare-curves.png next to this script from mlp-regularizers-compare-curves.dat.

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
set output 'mlp-regularizers-compare-curves.svg'
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
plot 'mlp-regularizers-compare-curves.dat' index 0 using 1:3 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 1 using 1:3 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 2 using 1:3 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 3 using 1:3 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 4 using 1:3 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 5 using 1:3 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 6 using 1:3 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 7 using 1:3 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 notitle
unset label 99
set lmargin at screen 0.45
set rmargin at screen 0.76
set title 'train accuracy (%)'
set key at screen 0.78, screen 0.85 left top font ',8' spacing 1.1
plot 'mlp-regularizers-compare-curves.dat' index 0 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 title 'no regularization', \
     '' index 1 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 title 'dropout 0.5', \
     '' index 2 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 title 'dropout 0.2 input + 0.5', \
     '' index 3 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 title 'DropConnect 0.5', \
     '' index 4 using 1:2 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 title 'Targeted Dropout', \
     '' index 5 using 1:2 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 title 'Structural Dropout', \
     '' index 6 using 1:2 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 title 'NSDropout 0.2', \
     '' index 7 using 1:2 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 title 'clustering dropout'
unset multiplot

set terminal pngcairo size 1100,480 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'mlp-regularizers-compare-curves.png'
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
plot 'mlp-regularizers-compare-curves.dat' index 0 using 1:3 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 1 using 1:3 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 2 using 1:3 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 3 using 1:3 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 4 using 1:3 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 5 using 1:3 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 6 using 1:3 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 7 using 1:3 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 notitle
unset label 99
set lmargin at screen 0.45
set rmargin at screen 0.76
set title 'train accuracy (%)'
set key at screen 0.78, screen 0.85 left top font ',8' spacing 1.1
plot 'mlp-regularizers-compare-curves.dat' index 0 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 title 'no regularization', \
     '' index 1 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 title 'dropout 0.5', \
     '' index 2 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 title 'dropout 0.2 input + 0.5', \
     '' index 3 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 title 'DropConnect 0.5', \
     '' index 4 using 1:2 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 title 'Targeted Dropout', \
     '' index 5 using 1:2 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 title 'Structural Dropout', \
     '' index 6 using 1:2 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 title 'NSDropout 0.2', \
     '' index 7 using 1:2 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 title 'clustering dropout'
unset multiplot
set output
# generated by dropbench report from results/mlp-regularizers-compare.json
