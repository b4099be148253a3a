# gnuplot script written by attnlab. Re-render from this folder with: gnuplot -d 'test_error_and_values.gp'
set encoding utf8
stem = 'test_error_and_values'
data = stem.'.dat'
set grid
set key outside right top Left reverse
do for [format in "png svg"] {
  if (format eq "png") {
    set terminal pngcairo size 800,500 font 'sans,11' noenhanced background '#ffffff'
  } else {
    set terminal svg size 800,500 fixed font 'sans,11' noenhanced background '#ffffff'
  }
  set output stem.'.'.format
  set title 'test error and value overlaps r[h] (seed 1)'
  set xlabel 't = samples / D'
  set ylabel 'test MSE / r[h]'
  set logscale x
  unset logscale y
  unset label
  set offsets 0, 0, graph 0.05, graph 0.05
  set xrange [0.225031169856507:56881.00900938313]
  set yrange [*:*]
  plot data index 0 using 1:2 with lines lc rgb '#1f77b4' lw 2 title 'softmax test MSE', \
       data index 1 using 1:2 with lines lc rgb '#d62728' lw 2 title 'softmax1 test MSE', \
       data index 2 using 1:2 with lines lc rgb '#2ca02c' lw 2 title 'bayes-softmax test MSE', \
       data index 3 using 1:2 with lines lc rgb '#9467bd' lw 2 dt 2 title 'softmax r[1]', \
       data index 4 using 1:2 with lines lc rgb '#ff7f0e' lw 2 dt 2 title 'softmax r[2]', \
       data index 5 using 1:2 with lines lc rgb '#8c564b' lw 2 dt 2 title 'softmax r[3]', \
       data index 6 using 1:2 with lines lc rgb '#e377c2' lw 2 dt 2 title 'softmax r[4]', \
       0.2361022204 with lines lc rgb '#555555' lw 1.5 dt 3 title 'Bayes risk'
}
unset output
