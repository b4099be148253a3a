# gnuplot script written by attnlab. Re-render from this folder with: gnuplot -d 'final_overlaps_softmax.gp'
set encoding utf8
stem = 'final_overlaps_softmax'
data = stem.'.dat'
scale = 0.7640449070549404
set palette defined (-1 '#2166ac', 0 '#f7f7f7', 1 '#b2182b')
set cbrange [-scale:scale]
set cblabel 'm[h,f]'
set xrange [0.5:4.5]
set yrange [4.5:0.5]
set xtics ('f1 (std 3)' 1, 'f2 (std 2)' 2, 'f3 (std 1.2)' 3, 'mean direction' 4) scale 0
set ytics ('head 1' 1, 'head 2' 2, 'head 3' 3, 'head 4' 4) scale 0
unset key
set title 'softmax, seed 1: final key overlaps (t = 40000)'
set xlabel 'feature'
set ylabel 'head'
do for [format in "png svg"] {
  if (format eq "png") {
    set terminal pngcairo size 640,330 font 'sans,11' noenhanced background '#ffffff'
  } else {
    set terminal svg size 640,330 fixed font 'sans,11' noenhanced background '#ffffff'
  }
  set output stem.'.'.format
  plot data using 1:2:3 with image notitle, \
       data using 1:2:(valid(3) ? sprintf('%.2f', $3) : 'nan'):(abs($3) > 0.6 * scale ? 0xffffff : 0) \
         with labels tc rgb variable notitle
}
unset output
