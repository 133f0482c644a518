# mlp-regularizers-compare: Every MLP regularizer against no regularization, on one net and one budget
# Re-render with `gnuplot Reports/figures/mlp-regularizers-compare.gp` from the repository root, or `gnuplot mlp-regularizers-compare.gp` here.
# Writes mlp-regularizers-compare.svg and mlp-regularizers-compare.png next to this script from mlp-regularizers-compare.dat.

# Work in this script's own directory (ARG0 is the script path), so relative paths resolve anywhere.
script_dir = '.'
if (exists("ARG0") && strlen(ARG0) > 0) {
  i = strlen(ARG0)
  while (i > 0 && ARG0[i:i] ne '/') { i = i - 1 }
  if (i > 0) { script_dir = ARG0[1:i] }
}
cd script_dir

set encoding utf8
set terminal svg size 900,720 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'mlp-regularizers-compare.svg'
set multiplot title 'Does every MLP regularizer beat no regularization?'
set xrange [-0.6:7.6]
set grid ytics
set offsets 0, 0, graph 0.06, graph 0.06
set key at screen 0.99, screen 0.44 right top font ',9'
set lmargin 10
set rmargin 26
set origin 0,0.46
set size 1,0.49
set tmargin 1
set bmargin 1
set xtics ('' 0, '' 1, '' 2, '' 3, '' 4, '' 5, '' 6, '' 7)
set label 99 'default scale · 5 seeds' at screen 0.99, screen 0.975 right font ',9' tc rgb '#555555'
set ylabel 'test accuracy (%)'
set label 'diverged' at 3, graph 0.06 rotate by 90 left tc rgb '#b2182b' font ',9'
set label 'diverged' at 3, graph 0.06 rotate by 90 left tc rgb '#b2182b' font ',9'
set label 'diverged' at 5, graph 0.06 rotate by 90 left tc rgb '#b2182b' font ',9'
set label 'diverged' at 5, graph 0.06 rotate by 90 left tc rgb '#b2182b' font ',9'
plot 'mlp-regularizers-compare.dat' index 0 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#404040' title 'no regularizer, unpruned', \
     '' index 1 using 1:2:3:4 with yerrorbars pt 5 ps 1.1 lw 1.5 lc rgb '#404040' title 'no regularizer, 50% pruned', \
     '' index 2 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#d95f02' title 'architecture, unpruned', \
     '' index 3 using 1:2:3:4 with yerrorbars pt 5 ps 1.1 lw 1.5 lc rgb '#d95f02' title 'architecture, 50% pruned'
unset label
unset arrow
set origin 0,0
set size 1,0.47
set tmargin 0.5
set bmargin 8
set xtics ('no regularization' 0, 'dropout 0.5' 1, 'dropout 0.2 input + 0.5' 2, 'DropConnect 0.5' 3, 'Targeted Dropout' 4, 'Structural Dropout' 5, 'NSDropout 0.2' 6, 'clustering dropout' 7) rotate by -35 left font ',9'
set ylabel 'train − test gap (pt)'
plot 'mlp-regularizers-compare.dat' index 0 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#404040' notitle, \
     '' index 1 using 1:6:7:8 with yerrorbars pt 5 ps 1.1 lw 1.5 lc rgb '#404040' notitle, \
     '' index 2 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#d95f02' notitle, \
     '' index 3 using 1:6:7:8 with yerrorbars pt 5 ps 1.1 lw 1.5 lc rgb '#d95f02' notitle, \
     0 with lines dashtype 2 lc rgb '#888888' notitle
unset multiplot

set terminal pngcairo size 900,720 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'mlp-regularizers-compare.png'
set multiplot title 'Does every MLP regularizer beat no regularization?'
set xrange [-0.6:7.6]
set grid ytics
set offsets 0, 0, graph 0.06, graph 0.06
set key at screen 0.99, screen 0.44 right top font ',9'
set lmargin 10
set rmargin 26
set origin 0,0.46
set size 1,0.49
set tmargin 1
set bmargin 1
set xtics ('' 0, '' 1, '' 2, '' 3, '' 4, '' 5, '' 6, '' 7)
set label 99 'default scale · 5 seeds' at screen 0.99, screen 0.975 right font ',9' tc rgb '#555555'
set ylabel 'test accuracy (%)'
set label 'diverged' at 3, graph 0.06 rotate by 90 left tc rgb '#b2182b' font ',9'
set label 'diverged' at 3, graph 0.06 rotate by 90 left tc rgb '#b2182b' font ',9'
set label 'diverged' at 5, graph 0.06 rotate by 90 left tc rgb '#b2182b' font ',9'
set label 'diverged' at 5, graph 0.06 rotate by 90 left tc rgb '#b2182b' font ',9'
plot 'mlp-regularizers-compare.dat' index 0 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#404040' title 'no regularizer, unpruned', \
     '' index 1 using 1:2:3:4 with yerrorbars pt 5 ps 1.1 lw 1.5 lc rgb '#404040' title 'no regularizer, 50% pruned', \
     '' index 2 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#d95f02' title 'architecture, unpruned', \
     '' index 3 using 1:2:3:4 with yerrorbars pt 5 ps 1.1 lw 1.5 lc rgb '#d95f02' title 'architecture, 50% pruned'
unset label
unset arrow
set origin 0,0
set size 1,0.47
set tmargin 0.5
set bmargin 8
set xtics ('no regularization' 0, 'dropout 0.5' 1, 'dropout 0.2 input + 0.5' 2, 'DropConnect 0.5' 3, 'Targeted Dropout' 4, 'Structural Dropout' 5, 'NSDropout 0.2' 6, 'clustering dropout' 7) rotate by -35 left font ',9'
set ylabel 'train − test gap (pt)'
plot 'mlp-regularizers-compare.dat' index 0 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#404040' notitle, \
     '' index 1 using 1:6:7:8 with yerrorbars pt 5 ps 1.1 lw 1.5 lc rgb '#404040' notitle, \
     '' index 2 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#d95f02' notitle, \
     '' index 3 using 1:6:7:8 with yerrorbars pt 5 ps 1.1 lw 1.5 lc rgb '#d95f02' notitle, \
     0 with lines dashtype 2 lc rgb '#888888' notitle
unset multiplot
set output
# generated by dropbench report from results/mlp-regularizers-compare.json
