# Re-render with: gnuplot Reports/figures/masks-heuristic-dropout.gp (from anywhere)
dir = system("dirname '" . ARG0 . "'")
cd dir
unset key; unset tics; unset border; unset colorbox
set palette grey
set size ratio -1
set cbrange [-1.5:2.5]
do for [term in "svg pngcairo"] {
  if (term eq "svg") { set terminal svg size 1040,490 font 'DejaVu Sans,9'; set output 'masks-heuristic-dropout.svg' }
  else { set terminal pngcairo size 1040,490 font 'DejaVu Sans,9'; set output 'masks-heuristic-dropout.png' }
  set multiplot layout 3,8 title "Heuristic Dropout (k = 2, top 10% of 16 channels): scores of an untrained conv3x3 layer's maps"
  set title "s=4.33"
  plot 'masks-heuristic-dropout.dat' index 0 matrix with image
  set title "s=10.73"
  plot 'masks-heuristic-dropout.dat' index 1 matrix with image
  set title "s=4.45"
  plot 'masks-heuristic-dropout.dat' index 2 matrix with image
  set title "s=2.84"
  plot 'masks-heuristic-dropout.dat' index 3 matrix with image
  set title "s=4.16"
  plot 'masks-heuristic-dropout.dat' index 4 matrix with image
  set title "s=17.79"
  plot 'masks-heuristic-dropout.dat' index 5 matrix with image
  set title "s=24.34"
  plot 'masks-heuristic-dropout.dat' index 6 matrix with image
  set title "* s=38.28"
  plot 'masks-heuristic-dropout.dat' index 7 matrix with image
  set title "s=2.62"
  plot 'masks-heuristic-dropout.dat' index 8 matrix with image
  set title "s=14.27"
  plot 'masks-heuristic-dropout.dat' index 9 matrix with image
  set title "s=5.61"
  plot 'masks-heuristic-dropout.dat' index 10 matrix with image
  set title "s=12.79"
  plot 'masks-heuristic-dropout.dat' index 11 matrix with image
  set title "s=19.72"
  plot 'masks-heuristic-dropout.dat' index 12 matrix with image
  set title "* s=34.85"
  plot 'masks-heuristic-dropout.dat' index 13 matrix with image
  set title "s=16.45"
  plot 'masks-heuristic-dropout.dat' index 14 matrix with image
  set title "s=8.65"
  plot 'masks-heuristic-dropout.dat' index 15 matrix with image
  set title "ch 7: Laplacian"
  plot 'masks-heuristic-dropout.dat' index 16 matrix with image
  set title "ch 13: Laplacian"
  plot 'masks-heuristic-dropout.dat' index 17 matrix with image
  unset multiplot
}
