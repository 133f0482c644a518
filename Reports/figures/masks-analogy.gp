# Re-render with: gnuplot Reports/figures/masks-analogy.gp (from anywhere)
dir = system("dirname '" . ARG0 . "'")
cd dir
unset key; unset tics; unset border; unset colorbox
set palette grey
set size ratio -1
set cbrange [-1.5:2.5]
do for [term in "svg pngcairo"] {
  if (term eq "svg") { set terminal svg size 520,790 font 'DejaVu Sans,9'; set output 'masks-analogy.svg' }
  else { set terminal pngcairo size 520,790 font 'DejaVu Sans,9'; set output 'masks-analogy.png' }
  set multiplot layout 5,4 title "What each method drops (4 Fashion-MNIST test images; grey = 0 after normalisation)"
  set title "input"
  plot 'masks-analogy.dat' index 0 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 1 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 2 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 3 matrix with image
  set title "Dropout 0.25"
  plot 'masks-analogy.dat' index 4 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 5 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 6 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 7 matrix with image
  set title "SpatialDropout 0.5"
  plot 'masks-analogy.dat' index 8 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 9 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 10 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 11 matrix with image
  set title "DropBlock bs 7, 0.25"
  plot 'masks-analogy.dat' index 12 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 13 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 14 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 15 matrix with image
  set title "Cutout L = 14"
  plot 'masks-analogy.dat' index 16 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 17 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 18 matrix with image
  set title ""
  plot 'masks-analogy.dat' index 19 matrix with image
  unset multiplot
}
