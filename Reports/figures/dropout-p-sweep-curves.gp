# dropout-p-sweep-curves: Dropout retention p has a broad optimum in [0.4, 0.8]
# Re-render with `gnuplot Reports/figures/dropout-p-sweep-curves.gp` from the repository root, or `gnuplot dropout-p-sweep-curves.gp` here.
# Writes dropout-p-sweep-curves.svg and dropout-p-sweep-curves.png next to this script from dropout-p-sweep-curves.dat.

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
set output 'dropout-p-sweep-curves.svg'
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
plot 'dropout-p-sweep-curves.dat' index 0 using 1:3 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
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
     '' index 15 using 1:3 with linespoints lc 8 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 16 using 1:3 with linespoints lc 1 dt 3 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 17 using 1:3 with linespoints lc 2 dt 3 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 18 using 1:3 with linespoints lc 3 dt 3 pt 7 ps 0.5 lw 1.5 notitle
unset label 99
set lmargin at screen 0.45
set rmargin at screen 0.76
set title 'train accuracy (%)'
set key at screen 0.78, screen 0.85 left top font ',8' spacing 1.1
plot 'dropout-p-sweep-curves.dat' index 0 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.2', \
     '' index 1 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.3', \
     '' index 2 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.4', \
     '' index 3 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.5', \
     '' index 4 using 1:2 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.6', \
     '' index 5 using 1:2 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.7', \
     '' index 6 using 1:2 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.8', \
     '' index 7 using 1:2 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.9', \
     '' index 8 using 1:2 with linespoints lc 1 dt 2 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 1 (no dropout)', \
     '' index 9 using 1:2 with linespoints lc 2 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.1', \
     '' index 10 using 1:2 with linespoints lc 3 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.2', \
     '' index 11 using 1:2 with linespoints lc 4 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.3', \
     '' index 12 using 1:2 with linespoints lc 5 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.4', \
     '' index 13 using 1:2 with linespoints lc 6 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.5', \
     '' index 14 using 1:2 with linespoints lc 7 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.6', \
     '' index 15 using 1:2 with linespoints lc 8 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.7', \
     '' index 16 using 1:2 with linespoints lc 1 dt 3 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.8', \
     '' index 17 using 1:2 with linespoints lc 2 dt 3 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.9', \
     '' index 18 using 1:2 with linespoints lc 3 dt 3 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 1 (no dropout)'
unset multiplot

set terminal pngcairo size 1100,480 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'dropout-p-sweep-curves.png'
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
plot 'dropout-p-sweep-curves.dat' index 0 using 1:3 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 notitle, \
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
     '' index 15 using 1:3 with linespoints lc 8 dt 2 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 16 using 1:3 with linespoints lc 1 dt 3 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 17 using 1:3 with linespoints lc 2 dt 3 pt 7 ps 0.5 lw 1.5 notitle, \
     '' index 18 using 1:3 with linespoints lc 3 dt 3 pt 7 ps 0.5 lw 1.5 notitle
unset label 99
set lmargin at screen 0.45
set rmargin at screen 0.76
set title 'train accuracy (%)'
set key at screen 0.78, screen 0.85 left top font ',8' spacing 1.1
plot 'dropout-p-sweep-curves.dat' index 0 using 1:2 with linespoints lc 1 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.2', \
     '' index 1 using 1:2 with linespoints lc 2 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.3', \
     '' index 2 using 1:2 with linespoints lc 3 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.4', \
     '' index 3 using 1:2 with linespoints lc 4 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.5', \
     '' index 4 using 1:2 with linespoints lc 5 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.6', \
     '' index 5 using 1:2 with linespoints lc 6 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.7', \
     '' index 6 using 1:2 with linespoints lc 7 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.8', \
     '' index 7 using 1:2 with linespoints lc 8 dt 1 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 0.9', \
     '' index 8 using 1:2 with linespoints lc 1 dt 2 pt 7 ps 0.5 lw 1.5 title 'MNIST 4k, p = 1 (no dropout)', \
     '' index 9 using 1:2 with linespoints lc 2 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.1', \
     '' index 10 using 1:2 with linespoints lc 3 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.2', \
     '' index 11 using 1:2 with linespoints lc 4 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.3', \
     '' index 12 using 1:2 with linespoints lc 5 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.4', \
     '' index 13 using 1:2 with linespoints lc 6 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.5', \
     '' index 14 using 1:2 with linespoints lc 7 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.6', \
     '' index 15 using 1:2 with linespoints lc 8 dt 2 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.7', \
     '' index 16 using 1:2 with linespoints lc 1 dt 3 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.8', \
     '' index 17 using 1:2 with linespoints lc 2 dt 3 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 0.9', \
     '' index 18 using 1:2 with linespoints lc 3 dt 3 pt 7 ps 0.5 lw 1.5 title 'Fashion-MNIST 5k, p = 1 (no dropout)'
unset multiplot
set output
# generated by dropbench report from results/dropout-p-sweep.json
