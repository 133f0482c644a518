# conv-regularizers-compare: Every conv-level regularizer on one ResNet and one budget; DropBlock against the others of its table
# Re-render with `gnuplot Reports/figures/conv-regularizers-compare.gp` from the repository root, or `gnuplot conv-regularizers-compare.gp` here.
# Writes conv-regularizers-compare.svg and conv-regularizers-compare.png next to this script from conv-regularizers-compare.dat.

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
set output 'conv-regularizers-compare.svg'
set multiplot title 'Does scheduled DropBlock beat dropout, SpatialDropout, DropPath and Cutout?'
set xrange [-0.6:15.6]
set grid ytics
set offsets 0, 0, graph 0.06, graph 0.06
set key at screen 0.99, screen 0.44 right top font ',9'
set lmargin 10
set rmargin 26
set origin 0,0.46
set size 1,0.49
set tmargin 1
set bmargin 1
set xtics ('' 0, '' 1, '' 2, '' 3, '' 4, '' 5, '' 6, '' 7, '' 8, '' 9, '' 10, '' 11, '' 12, '' 13, '' 14, '' 15)
set label 99 'default scale · 5 seeds' at screen 0.99, screen 0.975 right font ',9' tc rgb '#555555'
set ylabel 'test accuracy (%)'
set y2label 'paper: ImageNet top-1 (%), ResNet-50' font ',9' tc rgb '#b2182b'
set ytics nomirror
set y2tics tc rgb '#b2182b'
plot 'conv-regularizers-compare.dat' index 0 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#404040' title 'no regularizer', \
     '' index 1 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#1b9e77' title 'data', \
     '' index 2 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#d95f02' title 'architecture', \
     '' index 3 using 1:2 axes x1y2 with points pt 6 ps 1.6 lw 2 lc rgb '#b2182b' title 'paper (ResNet-50 on ImageNet)'
unset y2label
unset y2tics
set ytics mirror
unset label
unset arrow
set origin 0,0
set size 1,0.47
set tmargin 0.5
set bmargin 8
set xtics ('no regularization' 0, 'dropout 0.3' 1, 'SpatialDropout 0.2' 2, 'DropBlock 0.1' 3, 'DropBlock 0.1, scheduled' 4, 'Cutout 14 px' 5, 'DropPath 0.1' 6, 'stochastic depth p_L 0.5' 7, 'CorrDrop spatial 0.2' 8, 'CorrDrop channel 0.2' 9, 'Channel DropBlock 0.2' 10, 'FocusedDropout' 11, 'heuristic dropout k=2' 12, 'learnable channel dropout 0.2' 13, 'CutMix' 14, 'Attentive CutMix' 15) rotate by -35 left font ',9'
set ylabel 'train − test gap (pt)'
plot 'conv-regularizers-compare.dat' index 0 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#404040' notitle, \
     '' index 1 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#1b9e77' notitle, \
     '' index 2 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#d95f02' notitle, \
     0 with lines dashtype 2 lc rgb '#888888' notitle
unset multiplot

set terminal pngcairo size 900,720 font 'DejaVu Sans,11'
set termoption noenhanced
set output 'conv-regularizers-compare.png'
set multiplot title 'Does scheduled DropBlock beat dropout, SpatialDropout, DropPath and Cutout?'
set xrange [-0.6:15.6]
set grid ytics
set offsets 0, 0, graph 0.06, graph 0.06
set key at screen 0.99, screen 0.44 right top font ',9'
set lmargin 10
set rmargin 26
set origin 0,0.46
set size 1,0.49
set tmargin 1
set bmargin 1
set xtics ('' 0, '' 1, '' 2, '' 3, '' 4, '' 5, '' 6, '' 7, '' 8, '' 9, '' 10, '' 11, '' 12, '' 13, '' 14, '' 15)
set label 99 'default scale · 5 seeds' at screen 0.99, screen 0.975 right font ',9' tc rgb '#555555'
set ylabel 'test accuracy (%)'
set y2label 'paper: ImageNet top-1 (%), ResNet-50' font ',9' tc rgb '#b2182b'
set ytics nomirror
set y2tics tc rgb '#b2182b'
plot 'conv-regularizers-compare.dat' index 0 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#404040' title 'no regularizer', \
     '' index 1 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#1b9e77' title 'data', \
     '' index 2 using 1:2:3:4 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#d95f02' title 'architecture', \
     '' index 3 using 1:2 axes x1y2 with points pt 6 ps 1.6 lw 2 lc rgb '#b2182b' title 'paper (ResNet-50 on ImageNet)'
unset y2label
unset y2tics
set ytics mirror
unset label
unset arrow
set origin 0,0
set size 1,0.47
set tmargin 0.5
set bmargin 8
set xtics ('no regularization' 0, 'dropout 0.3' 1, 'SpatialDropout 0.2' 2, 'DropBlock 0.1' 3, 'DropBlock 0.1, scheduled' 4, 'Cutout 14 px' 5, 'DropPath 0.1' 6, 'stochastic depth p_L 0.5' 7, 'CorrDrop spatial 0.2' 8, 'CorrDrop channel 0.2' 9, 'Channel DropBlock 0.2' 10, 'FocusedDropout' 11, 'heuristic dropout k=2' 12, 'learnable channel dropout 0.2' 13, 'CutMix' 14, 'Attentive CutMix' 15) rotate by -35 left font ',9'
set ylabel 'train − test gap (pt)'
plot 'conv-regularizers-compare.dat' index 0 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#404040' notitle, \
     '' index 1 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#1b9e77' notitle, \
     '' index 2 using 1:6:7:8 with yerrorbars pt 7 ps 1.1 lw 1.5 lc rgb '#d95f02' notitle, \
     0 with lines dashtype 2 lc rgb '#888888' notitle
unset multiplot
set output
# generated by dropbench report from results/conv-regularizers-compare.json
