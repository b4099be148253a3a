# gnuplot script written by attnlab. Re-render from this folder with: gnuplot -d 'test_error_vs_heads.gp'
set encoding utf8
stem = 'test_error_vs_heads'
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
  set title 'final test error against the number of heads'
  set xlabel 'heads H'
  set ylabel 'test MSE'
  unset logscale x
  unset logscale y
  unset label
  set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
  set xrange [*:*]
  set yrange [*:*]
  plot data index 0 using 1:2:3 with yerrorlines lc rgb '#1f77b4' lw 2 pt 7 ps 0.9 title 'softmax', \
       data index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' lw 2 pt 5 ps 0.9 title 'softmax1', \
       data index 2 using 1:2:3 with yerrorlines lc rgb '#2ca02c' lw 2 pt 9 ps 0.9 title 'bayes-softmax', \
       data index 3 using 1:2 with lines lc rgb '#9467bd' lw 2 dt 2 title 'softmax (limit: best flow end)', \
       data index 4 using 1:2 with lines lc rgb '#ff7f0e' lw 2 dt 2 title 'softmax1 (limit: best flow end)', \
       data index 5 using 1:2 with lines lc rgb '#8c564b' lw 2 dt 2 title 'bayes-softmax (limit: best flow end)', \
       0.39979251526666665 with lines lc rgb '#555555' lw 1.5 dt 3 title 'Bayes risk'
}
unset output
